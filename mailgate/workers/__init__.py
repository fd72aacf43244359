"""Workers: spool ids to processors (Dramatiq on Redis, or threads in one process), and the sweeper."""
