-- Where each job's time went (JSON JobTimings: milliseconds of queue wait, detection,
-- recognition, plugins and storage), written by the worker with each task's result.
ALTER TABLE jobs ADD COLUMN timings TEXT;
