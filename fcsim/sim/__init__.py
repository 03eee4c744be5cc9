"""The SimPy model of the full procedure (the only package that imports simpy)."""

from fcsim.sim.run import replicate, simulate

__all__ = ["replicate", "simulate"]
