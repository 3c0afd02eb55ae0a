"""Campaign dashboard for district air-pollution control (大气污染防治攻坚 指挥调度看板)."""

__version__ = "0.1.0"
