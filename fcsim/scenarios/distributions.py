"""Duration distributions as small validated objects with ``sample(rng, size=None)`` and ``mean``.

In a scenario file a distribution is an inline table with a ``dist`` key, e.g.
``{ dist = "lognormal", mean = 3.0, cv = 0.5 }`` (units are those of the field's name,
minutes for ``*_min``). A bare number means ``fixed``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Triangular",
    "Uniform",
    "Weibull",
]


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """One draw (``size=None``, a float) or an array of ``size`` draws."""
        raise NotImplementedError  # pragma: no cover


class Fixed(_Dist):
    """Always ``value``."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.value if size is None else np.full(size, self.value)


class Exponential(_Dist):
    """Exponential with the given mean."""

    dist: Literal["exponential"] = "exponential"
    mean_: float = Field(gt=0, alias="mean")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.exponential(self.mean_, size)


class _MeanCv(_Dist):
    """A positive distribution given by its mean and coefficient of variation."""

    mean_: float = Field(gt=0, alias="mean")
    cv: float = Field(gt=0)
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_


class LogNormal(_MeanCv):
    """Log-normal parameterised by its mean and coefficient of variation."""

    dist: Literal["lognormal"] = "lognormal"

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        s2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - s2 / 2
        return rng.lognormal(mu, math.sqrt(s2), size)


class Gamma(_MeanCv):
    """Gamma with the given mean and coefficient of variation."""

    dist: Literal["gamma"] = "gamma"

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, size)


class Weibull(_Dist):
    """Weibull with ``shape`` k and ``scale`` λ."""

    dist: Literal["weibull"] = "weibull"
    shape: float = Field(gt=0)
    scale: float = Field(gt=0)

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.scale * rng.weibull(self.shape, size)


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low {self.low} exceeds high {self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.uniform(self.low, self.high, size)


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with the given ``mode``."""

    dist: Literal["triangular"] = "triangular"
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(f"need low <= mode <= high and low < high, got "
                             f"{self.low}, {self.mode}, {self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.triangular(self.low, self.mode, self.high, size)


class Empirical(_Dist):
    """Resampling (with replacement) of observed ``values``."""

    dist: Literal["empirical"] = "empirical"
    values: tuple[float, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _nonneg(self) -> Empirical:
        if min(self.values) < 0:
            raise ValueError("empirical values must be >= 0")
        return self

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        arr = np.asarray(self.values, dtype=float)
        if size is None:
            return float(arr[rng.integers(len(arr))])
        return arr[rng.integers(len(arr), size=size)]


def _coerce(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


#: Any distribution, discriminated by ``dist``; a bare number is ``fixed``.
Distribution = Annotated[
    Fixed | Exponential | LogNormal | Gamma | Weibull | Uniform | Triangular | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_coerce),
]
