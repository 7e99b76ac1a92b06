"""`loglake demo`: a realistic multi-service day of logs, run through every stage of the pipeline."""
