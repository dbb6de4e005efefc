"""`python -m tools.render`: the offline render (command.py), the Kubernetes objects and Helm
releases of a recorded run (manifests.py), and strict validation against upstream schemas
(validate.py)."""
