-- selective.lua -- migrate the inodes that match every criterion given:
-- paths (prefixes or globs, or a list in a file), file type, owner, mtime,
-- current fragmentation.
--
--   e2lua -w IMAGE scripts/selective.lua --path /home --type regular \
--         --mtime-before 2020-01-01 --min-fragments 8 [--dry-run] [--verbose]
--   e2lua: run selective --path '/var/**/*.log' --dry-run
--
-- Criteria on inode fields and paths are applied while selecting; the
-- fragmentation criterion needs the plan and is applied by the runner.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "selective",
	about = "Migrate the block-mapped inodes that match every criterion given.",
	groups = { "select" },
})
if not opts then return end		-- --help
if not policy.has_criteria(opts) then
	policy.fail("selective", "no criteria given (--path, --type, ...); " ..
		"use migrate-all to migrate everything")
end

local run <close> = policy.runner(fs, opts)
for inode, path in policy.select(fs, opts) do	-- a scan, or walks for --path
	run:offer(inode, path)
end
return run:finish()
