"""Read-only download portal for the yearly evaluation report (docs/portal.md).

Entry points: ``scorecard.portal.app.create_app`` and the click commands in ``scorecard.portal.cli``.
"""
