"""actopt: a laboratory for activation functions and optimizers."""

__version__ = "0.1.0"

__all__ = ["__version__"]
