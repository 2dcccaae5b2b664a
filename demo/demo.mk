# The demo mail service: filled in by the demo work (issue 3).
.PHONY: demo-build
demo-build:
