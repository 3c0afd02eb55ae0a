"""Every write of the dashboard, one module per use-case family.

A public service function takes the acting user (``Actor``) and plain values, checks role and
township scope, validates with ``domain/``, writes through ``store/`` in one transaction, records
the audit entry, and returns a result or raises a ``CodedError`` the caller shows. The Dash
callbacks and the command line call the same functions; neither writes any other way.
"""
