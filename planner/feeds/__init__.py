"""Feeds to drafts: a brand's RSS/Atom feeds (its blog, its shop's new products) whose new
items become drafts on chosen channels — never scheduled, never sent without approvals."""
