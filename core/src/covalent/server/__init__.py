"""The Covalent server: HTTP API, dispatcher, result manager and service control."""
