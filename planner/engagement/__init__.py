"""The engagement inbox: mentions of and replies to the brand's channels, listening results,
assignment and status, the business-hours clock, replies, moderation strikes and crises."""
