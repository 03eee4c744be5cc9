"""Duration distributions as small validated objects with ``sample(rng, size=None)`` and ``mean``.

In a scenario file a distribution is an inline table with a ``dist`` key, e.g.
``{ dist = "lognormal", mean = 3.0, cv = 0.5 }`` (units are those of the field's name,
minutes for ``*_min``). A bare number means ``fixed``.

Each distribution also has its survival function ``sf`` and its inverse ``isf`` (vectorised),
and with them the **residual** sampler a simulation started in the middle of a stage needs:
:meth:`~_Dist.conditional` turns uniforms ``u`` into durations conditioned on exceeding the time
already spent ``a`` — the inverse CDF on U(F(a), 1), computed as ``isf(u · sf(a))`` so that the
far tail keeps its precision — and :meth:`~_Dist.residual` gives what is left of them. A stage
whose elapsed time is past the distribution's support ends at once (residual 0); with ``a = 0``
the draw is the unconditioned one, so the same ``u`` serves a fresh and a resumed stage.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special

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

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Survival function P(X > x), elementwise."""
        raise NotImplementedError  # pragma: no cover

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Inverse survival function: the x with P(X > x) = q (q in (0, 1]), elementwise."""
        raise NotImplementedError  # pragma: no cover

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """P(X <= x), elementwise."""
        return 1.0 - self.sf(x)

    def ppf(self, p: ArrayLike) -> NDArray[np.float64]:
        """Inverse CDF (quantile function), elementwise."""
        return self.isf(1.0 - np.asarray(p, dtype=float))

    def conditional(self, u: ArrayLike, elapsed: ArrayLike = 0.0) -> NDArray[np.float64]:
        """Total durations given that they exceed ``elapsed``, from uniforms ``u`` in [0, 1).

        The inverse CDF on U(F(a), 1) with ``a = elapsed``: ``isf(u · sf(a))``. Where
        ``elapsed <= 0`` the draw is unconditioned (``isf(u)``); where nothing of the
        distribution lies above ``elapsed``, the result is ``elapsed`` (the stage ends now).
        """
        a = np.asarray(elapsed, dtype=float)
        uu = np.maximum(np.asarray(u, dtype=float), 1e-300)
        s = np.where(a > 0, self.sf(np.maximum(a, 0.0)), 1.0)
        alive = s > 0
        total = self.isf(np.where(alive, uu * s, 1.0))
        return np.where(alive, np.maximum(total, a), a)

    def residual(self, u: ArrayLike, elapsed: ArrayLike = 0.0) -> NDArray[np.float64]:
        """What remains of a duration that has already lasted ``elapsed``: the conditional
        total minus ``elapsed`` (never negative), from uniforms ``u``."""
        a = np.asarray(elapsed, dtype=float)
        return np.maximum(self.conditional(u, a) - np.maximum(a, 0.0), 0.0)

    def sample_residual(self, rng: np.random.Generator, elapsed: ArrayLike,
                        size: int | None = None) -> Any:
        """Residual durations after ``elapsed`` (one float when ``size`` is None and
        ``elapsed`` is a scalar)."""
        a = np.asarray(elapsed, dtype=float)
        shape = a.shape if size is None else size
        out = self.residual(rng.random(shape), a)
        return float(out) if np.ndim(out) == 0 else out


class Fixed(_Dist):
    """Always ``value``."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.value if size is None else np.full(size, self.value)

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        return np.where(np.asarray(x, dtype=float) < self.value, 1.0, 0.0)

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        return np.full(np.shape(q), self.value)


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

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        return np.exp(-np.maximum(np.asarray(x, dtype=float), 0.0) / self.mean_)

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        return -self.mean_ * np.log(np.asarray(q, dtype=float))


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

    def _mu_sigma(self) -> tuple[float, float]:
        s2 = math.log1p(self.cv**2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        mu, sigma = self._mu_sigma()
        return rng.lognormal(mu, sigma, size)

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        mu, sigma = self._mu_sigma()
        xx = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            z = (np.log(np.where(xx > 0, xx, 1.0)) - mu) / sigma
        return np.where(xx > 0, special.ndtr(-z), 1.0)

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        mu, sigma = self._mu_sigma()
        return np.exp(mu - sigma * special.ndtri(np.asarray(q, dtype=float)))


class Gamma(_MeanCv):
    """Gamma with the given mean and coefficient of variation."""

    dist: Literal["gamma"] = "gamma"

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, size)

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        shape = 1.0 / self.cv**2
        xx = np.maximum(np.asarray(x, dtype=float), 0.0)
        return special.gammaincc(shape, xx * shape / self.mean_)

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        shape = 1.0 / self.cv**2
        return special.gammainccinv(shape, np.asarray(q, dtype=float)) * self.mean_ / shape


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

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        xx = np.maximum(np.asarray(x, dtype=float), 0.0)
        return np.exp(-((xx / self.scale) ** self.shape))

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        return self.scale * (-np.log(np.asarray(q, dtype=float))) ** (1.0 / self.shape)


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

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        xx = np.asarray(x, dtype=float)
        if self.high == self.low:
            return np.where(xx < self.low, 1.0, 0.0)
        return np.clip((self.high - xx) / (self.high - self.low), 0.0, 1.0)

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        return self.high - np.asarray(q, dtype=float) * (self.high - self.low)


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

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        a, c, b = self.low, self.mode, self.high
        xx = np.clip(np.asarray(x, dtype=float), a, b)
        left = 1.0 - (xx - a) ** 2 / ((b - a) * (c - a)) if c > a else np.ones_like(xx)
        right = (b - xx) ** 2 / ((b - a) * (b - c)) if b > c else np.zeros_like(xx)
        return np.where(xx <= c, left, right)

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        a, c, b = self.low, self.mode, self.high
        qq = np.asarray(q, dtype=float)
        upper = qq <= (b - c) / (b - a)  # the quantile lies right of the mode
        return np.where(upper, b - np.sqrt(qq * (b - a) * (b - c)),
                        a + np.sqrt(np.maximum(1.0 - qq, 0.0) * (b - a) * (c - a)))


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

    def sf(self, x: ArrayLike) -> NDArray[np.float64]:
        v = np.sort(np.asarray(self.values, dtype=float))
        xx = np.asarray(x, dtype=float)
        return (v.size - np.searchsorted(v, xx, side="right")) / v.size

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        """The values resampled uniformly: ``q`` in ``(k/n, (k+1)/n]`` picks the k-th largest,
        so ``isf(u · sf(a))`` picks uniformly among the values above ``a``."""
        v = np.sort(np.asarray(self.values, dtype=float))
        qq = np.asarray(q, dtype=float)
        k = np.clip(np.ceil(qq * v.size).astype(np.int64) - 1, 0, v.size - 1)
        return v[v.size - 1 - k]


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
