-- PLACEHOLDER on branch 'versions' only, so that 0004 has versions 1..3
-- before it (the build requires them in order). The jobs branch owns
-- version 2: when merging, delete this file and keep theirs.
SELECT 1;
