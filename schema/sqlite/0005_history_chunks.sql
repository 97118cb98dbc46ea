-- 0005_history_chunks.sql - a job's history stored one batch to a row.
-- A batch of epochs (one flush, about once a second, or the end of a job)
-- was one row per epoch with three B-tree inserts each: 2000 tiny epochs
-- cost 6-9 ms to store, a tenth of the job's own time. Now a batch is one
-- row whose blob holds its epochs as 32-byte records: the epoch (int64),
-- loss, validation loss, time (binary64), all little-endian, NaN for none
-- (server/storage_history.c). min_epoch/max_epoch let an event stream
-- skip the batches it has sent. Rows are read in rowid (insertion) order.
CREATE TABLE history_chunks (
    model_id  TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    job_id    TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    min_epoch INTEGER NOT NULL,
    max_epoch INTEGER NOT NULL,
    n         INTEGER NOT NULL CHECK (n >= 1),
    data      BLOB NOT NULL CHECK (length(data) = 32 * n)
);
CREATE INDEX history_chunks_by_model ON history_chunks (model_id);
CREATE INDEX history_chunks_by_job ON history_chunks (job_id, max_epoch);
-- Earlier rows move over one epoch to a chunk, in their order;
-- mlpd_epoch_record is registered by the daemon on its connections.
INSERT INTO history_chunks (model_id, job_id, min_epoch, max_epoch, n, data)
    SELECT model_id, job_id, epoch, epoch, 1,
           mlpd_epoch_record(epoch, loss, val_loss, time)
    FROM history ORDER BY rowid;
DROP TABLE history;
