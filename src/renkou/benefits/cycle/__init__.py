"""The annual cycle of an application, from the village worker's entry to the county's confirmation."""
