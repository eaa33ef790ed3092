"""Reports for examiners: HTML (Jinja2 templates in ``templates/``) and exports."""
