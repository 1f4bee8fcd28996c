"""Covalent's executor contract (``run(function, args, kwargs, task_metadata)``), run on our job model.

Executors written for Covalent (its plugins on the package registry, files
in ``COVALENT_EXECUTOR_DIR``) subclass the classes of :mod:`.classes`, which
Covalent code imports from ``covalent.executor.base``.  :mod:`.discovery`
finds them (the ``covalent.executor.executor_plugins`` entry-point group and
executor folders); :mod:`.adapter` is the one adapter that runs them as a
:class:`~covalent.executor.jobs.JobExecutor`, each job in a worker process
the server owns (:mod:`.worker`), talking to the server through a
:mod:`.channel`.  docs/covalent-plugins.md describes the whole.
"""
