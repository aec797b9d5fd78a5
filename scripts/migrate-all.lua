-- migrate-all.lua -- migrate every block-mapped inode that can be migrated
-- (what e2fsck -fE bmap2extent does, without the rest of fsck).
--
--   e2lua -w IMAGE scripts/migrate-all.lua [--dry-run] [--verbose] [--batch N]
--   e2lua: run migrate-all --dry-run
--
-- The shape of every policy: parse the options, open a runner (it selects,
-- stages, commits in batches, counts what it skips and prints the summary),
-- let it select (or offer it inodes yourself: run:offer), finish.  Copy
-- this file to write your own.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "migrate-all",
	about = "Migrate every block-mapped file, directory and slow symlink to extents.",
})
if not opts then return end		-- --help

local run <close> = policy.runner(fs, opts)	-- an error rolls back the open batch
run:select()			-- every inode: one scan in the core, no Lua per inode
return policy.exit(run:finish())		-- stages and commits in batches; prints and returns the summary
