-- 0002_jobs.sql - PLACEHOLDER in the users branch only, so that 0003
-- builds before the jobs branch lands; the jobs branch's own 0002
-- replaces it at the merge. Does nothing.
SELECT 1;
