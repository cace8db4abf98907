"""Statistics: pure, documented array functions shared by the engine and the checks (public to plugin authors).

Sums over rows are also written as mergeable states (``update`` / ``merge`` / ``finalise``) that an engine
runs per partition: :mod:`~synthaudit.stats.states`, :mod:`~synthaudit.stats.tables`,
:mod:`~synthaudit.stats.moments` and :mod:`~synthaudit.stats.quantiles`.
"""
