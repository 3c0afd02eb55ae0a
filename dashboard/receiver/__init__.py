"""The HJ 212-2017 receiver (an asyncio TCP server) and a simulator of site dust monitors.

Both speak through ``domain.hj212``; the receiver writes through ``services.site_dust``.
"""
