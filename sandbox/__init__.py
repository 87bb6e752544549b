"""The Messages for Business simulator: Apple's gateway as a strict peer, and the customer's device.

Mounted under /sandbox/ only when SANDBOX_ENABLED is on (see messages-for-business.md §12).
"""
