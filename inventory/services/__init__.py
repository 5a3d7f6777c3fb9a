"""Use cases of the workshop. Each public function validates, changes state, writes the
history, and owns its single commit; errors are ``core.errors`` exceptions with French messages.

The functions named ``apply_*`` are the building blocks: they change the session but do not
commit, so that one use case (a scan, say) can combine several in one transaction.
"""
