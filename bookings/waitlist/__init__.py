"""The waitlist of sold-out showtimes: entries in joining order, offers made as holds.

An offer is an ordinary pending Booking made by the hold service (same seat locks, same unique
index over active seats), so a seat is in at most one offer and never sold twice; only its hold
lasts WAITLIST_OFFER_SECONDS. Nothing here runs in a web request except join and leave."""
