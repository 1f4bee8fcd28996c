__version__ = "1.0.0.dev0"

#: The distribution that installs the import package ``covalent`` (the name to
#: ``pip install``; ``covalent`` on the registry is Agnostiq's 0.x).
DISTRIBUTION = "bondflow"
