"""Background work: the outbox dispatcher, deliveries, and the scheduler, run by one worker loop."""
