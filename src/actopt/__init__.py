"""actopt: a laboratory for activation functions and optimizers."""

__version__ = "0.1.0"

__all__ = ["__version__", "audit"]


def audit(target, **kwargs):
    """Audit an activation (catalog name, formula or spec): see ``actopt.audit.audit``.

    Once ``actopt.audit`` (the package) is imported it takes this name; it is callable too.
    """
    from .audit import audit as _audit

    return _audit(target, **kwargs)
