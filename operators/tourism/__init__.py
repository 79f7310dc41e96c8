"""Tourism attractions (a project-defined feed format, see docs/feeds.md): places with
names in ja/en, opening hours and ticket products sold with a partner operator."""
