"""The Apple Messages for Business boundary: wire format, JWTs, HTTP and crypto.

Nothing here imports models or services; it knows nothing of conversations.
"""
