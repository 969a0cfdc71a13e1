"""Subscriptions by label, messages sized per channel, delivery through apprise exactly once, alerts.

- :mod:`.subscriptions`: the YAML file, validated (:func:`load_subscriptions`), and ``${VAR}`` expansion at send time;
- :mod:`.select`: periods (daily, weekly:MON..SUN), filters, ranking of the items of a period;
- :mod:`.message`: the text of a message, sized for a channel's limit;
- :mod:`.channels`: sending one message to one apprise URL, with retries and scrubbed errors;
- :mod:`.feishu`: the Feishu/Lark custom-bot signer and its apprise plugin (``feishusign://``, ``larksign://``);
- :mod:`.run`: :func:`deliver` for a day, recorded in ``report.deliveries``; :mod:`.alerts`: operator alerts;
- :mod:`.cli`: ``infra-digest deliver``; :mod:`.asset`: plain functions for the ``deliveries`` asset and its check.
"""
