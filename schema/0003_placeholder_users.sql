-- PLACEHOLDER on branch 'versions' only, so that 0004 has versions 1..3
-- before it (the build requires them in order). The users branch owns
-- version 3: when merging, delete this file and keep theirs.
SELECT 1;
