"""The messaging kernel: what every channel shares, written once.

    inbound.py   accept, per-person lanes, albums, recovery, typing: one update's way in
    polling.py   the one long-poll loop (back-pressure, fetch back-off, store back-off)
    webhook.py   the one webhook handler (secret, size, JSON, accept)
    lanes.py     per-person queues and supervised background tasks
    retry.py     the one back-off policy
    redact.py    the one redactor of secrets
    wiring.py    channels -> delivery -> pipeline -> one Inbound per channel, in one place

A channel (bot/telegram, bot/zalo) supplies only what differs: parse (an update into
an event), verify (its webhook's secret header), fetch (getUpdates, files) and render
(sending a reply); see bot/channel.py."""
