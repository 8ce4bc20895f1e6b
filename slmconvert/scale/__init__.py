"""Engines that take the data stages past one machine (``--engine ray``)."""
