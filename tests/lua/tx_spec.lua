-- tx_spec.lua -- plans and transactions through the e2 module: staging,
-- pending, rollback (explicit, by scope, by error, by fs:close) leaving
-- the image byte-identical, commit giving an e2fsck-clean image with the
-- same file contents, and undo files that e2undo replays.
-- images: ext3:1024:24M ext4noext:4096:32M
local t = require "spec"
local e2 = require "e2"
local tmp = os.getenv("E2L_TMP")

local files = { "/dind", "/sparse_tind", "/sparse_ind", "/frag", "/dir/big", "/slowlink", "/twelve", "/empty" }

local function copy(img, name)
	local c = tmp .. "/" .. name
	t.sh("cp '" .. img .. "' '" .. c .. "'")
	return c
end

-- Per file: the data mapping debugfs stat shows, and (for files that are
-- not huge and sparse) the sha256 of the content debugfs cat reads.
local function contents(img)
	local r = {}
	local cmds = {}
	for i, f in ipairs(files) do cmds[i] = "stat " .. f end
	for i, st in ipairs(t.debugfs(img, cmds)) do
		local m = {}
		for k, run in ipairs(t.data_runs(t.stat_entries(st))) do
			m[k] = table.concat({ run[1], run[2], run[3] }, ",")
		end
		r[files[i]] = table.concat(m, " ")
		if tonumber(st:match("Size: (%d+)")) < 64 << 20 then
			r[files[i]] = r[files[i]] .. " " .. t.sh("debugfs -R 'cat " .. files[i] .. "' '" .. img .. "' 2>/dev/null | sha256sum")
		end
	end
	return r
end

local function check_plans(img)
	local fs = e2.open(img)		-- planning works read-only
	local p = fs:plan("/dind")
	t.eq(p.ok, true, "plan ok")
	t.eq(p.reason, nil, "no reason")
	t.eq(p.ino, fs:lookup("/dind"), "plan ino")
	local runs, data = 0, 0
	for _, _, len in fs:inode("/dind"):runs() do runs, data = runs + 1, data + len end
	t.eq(p.data_blocks, data, "plan data_blocks = runs()")
	t.eq(p.runs, runs, "plan runs = runs()")
	local meta = 0
	for _, _, kind in fs:inode("/dind"):blocks() do if kind ~= "data" then meta = meta + 1 end end
	t.eq(p.meta_freed, meta, "plan meta_freed = indirect blocks")
	t.eq(p.used_delta, p.index_blocks - p.meta_freed, "used_delta")
	t.eq(p.sectors_before, fs:inode("/dind").sectors, "sectors_before")
	local q = fs:inode("/dind"):plan()
	for k, v in pairs(p) do t.same(q[k], v, "ino:plan() " .. k) end
	for _, f in ipairs { "/fastlink", "/fifo", "<8>" } do
		local s = fs:plan(f)
		t.eq(s.ok, false, "plan " .. f .. " not ok")
		t.eq(s.reason, e2.strerror(s.code), "plan " .. f .. " reason")
	end
	t.eq(fs:plan("/fastlink").code, e2.errors.E2C_ERR_SKIP_NO_BLOCKS, "fast symlink skip code")
	t.eq(fs:plan("<8>").code, e2.errors.E2C_ERR_SKIP_RESERVED, "journal skip code")
	t.raises(function() fs:plan("/nope") end, "plan /nope: File not found", "plan of a missing file")
	t.raises(function() fs:plan("/dind", { unmigrate = true, relocate = true }) end,
		"plan: unmigrate and relocate do not go together", "plan: unmigrate with relocate")
	local e = t.raises(function() fs:begin() end, "begin " .. img .. ": Filesystem opened read-only", "begin read-only")
	t.eq(e.code, e2.errors.E2C_ERR_NOT_WRITABLE, "begin read-only code")
	fs:close()
end

local function check_rollbacks(img)
	local c = copy(img, "rb.img")
	local sum = t.sha256(c)
	local fs = e2.open(c, { write = true })
	local tx = fs:begin()
	t.eq(tostring(tx), "e2.tx (" .. c .. ", 0 staged)", "tx tostring")
	local e = t.raises(function() fs:begin() end, "begin " .. c .. ": A transaction is already open", "second begin")
	t.eq(e.code, e2.errors.E2C_ERR_TX_ACTIVE, "tx active code")
	local p = tx:migrate("/dind")
	t.eq(p.ok, true, "migrate returns the plan")
	e = t.raises(function() tx:migrate("/dind") end, "migrate /dind: Inode is already staged", "stage twice")
	t.eq(e.code, e2.errors.E2C_ERR_STAGED, "staged code")
	e = t.raises(function() tx:migrate("/fastlink") end, "migrate /fastlink: Inode has no block map", "not migratable")
	t.eq(e.code, e2.errors.E2C_ERR_SKIP_NO_BLOCKS, "skip code")
	t.raises(function() tx:migrate("/nope") end, "migrate /nope: File not found", "missing file")
	t.raises(function() tx:migrate() end, "bad argument #1 to 'migrate'", "no argument")
	t.raises(function() tx:migrate("/dind", {}, 1) end, "bad argument #3 to 'migrate' (no value expected)", "surplus")
	t.raises(function() tx:migrate("/dind", { relocat = true }) end, "migrate: unknown option 'relocat'", "unknown option")
	-- tx:try: a skip comes back as a plan with ok false (nothing staged)
	local q = tx:try("/fastlink")
	t.eq(q.ok, false, "try: not migratable")
	t.eq(q.code, e2.errors.E2C_ERR_SKIP_NO_BLOCKS, "try: skip code")
	t.eq(q.reason, fs:plan("/fastlink").reason, "try: the plan's reason")
	t.raises(function() tx:try("/dind") end, "migrate /dind: Inode is already staged", "try: staged raises")
	t.raises(function() tx:try("/nope") end, "migrate /nope: File not found", "try: missing file")
	tx:migrate(fs:inode("/frag"))
	local list, tot = tx:pending()
	t.eq(#list, 2, "pending count")
	t.eq(list[1].ino, fs:lookup("/dind"), "pending order")
	t.eq(tot.inodes, 2, "totals inodes")
	t.eq(tot.data_blocks, list[1].data_blocks + list[2].data_blocks, "totals data_blocks")
	t.eq(tot.used_delta, list[1].used_delta + list[2].used_delta, "totals used_delta")
	tx:rollback()
	list, tot = tx:pending()
	t.eq(#list .. "/" .. tot.inodes, "0/0", "rollback empties")
	t.eq(tx:try("/dind").ok, true, "try: migratable")
	t.eq(#tx:pending(), 1, "try: staged")
	tx:close()
	t.raises(function() tx:pending() end, "attempt to use a closed e2.tx", "tx after close")
	t.eq(tostring(tx), "e2.tx (closed)", "closed tx tostring")

	-- leaving the scope, normally or by an error, rolls back
	do
		local tx2 <close> = fs:begin()
		tx2:migrate("/dind")
	end
	local ok = pcall(function()
		local tx3 <close> = fs:begin()
		tx3:migrate("/dind")
		error("policy failed")
	end)
	t.check(not ok, "error inside the scope")
	-- fs:close() closes (rolls back) the open tx
	local tx4 = fs:begin()
	tx4:migrate("/sparse_tind")
	fs:close()
	t.raises(function() tx4:commit() end, "closed e2.fs", "tx after fs close")
	t.eq(t.sha256(c), sum, "rollbacks leave the image byte-identical")
end

local function check_commit(img)
	local c = copy(img, "commit.img")
	local before = contents(c)
	local undo = tmp .. "/commit.e2undo"
	os.remove(undo)
	local orig = t.sha256(c)
	local fs = e2.open(c, { write = true, undo = undo })
	local others = {}
	for ino in fs:inodes() do others[ino.ino] = ino.flags end
	local tx <close> = fs:begin()
	local staged = {}
	for _, f in ipairs(files) do
		local p = fs:plan(f)
		if p.ok then
			tx:migrate(f)
			staged[p.ino] = true
		end
	end
	local _, pending = tx:pending()
	local tot = tx:commit()
	for k, v in pairs(pending) do t.same(tot[k], v, "commit totals " .. k) end
	t.check(tot.inodes >= 6, "%d inodes committed", tot.inodes)
	local list = tx:pending()
	t.eq(#list, 0, "nothing pending after commit")
	tx:close()
	fs:close()

	local out, clean = t.sh("e2fsck -fn '" .. c .. "' 2>&1")
	t.check(clean, "e2fsck -fn after commit: %s", out)
	local after = contents(c)
	for _, f in ipairs(files) do t.eq(after[f], before[f], "content of " .. f) end
	fs = e2.open(c)
	for ino in fs:inodes() do
		if staged[ino.ino] then
			t.check(ino.extent_mapped, "<%d> extent-mapped after commit", ino.ino)
		else
			t.eq(ino.flags, others[ino.ino], "<" .. ino.ino .. "> unchanged")
		end
	end
	t.eq(fs.super.features.extent, true, "extent feature set")
	fs:close()

	t.sh("e2undo '" .. undo .. "' '" .. c .. "' >/dev/null 2>&1")
	t.eq(t.sha256(c), orig, "e2undo restores the image byte for byte")
end

for i = 1, #arg do
	local sum = t.sha256(arg[i])
	check_plans(arg[i])
	check_rollbacks(arg[i])
	check_commit(arg[i])
	t.eq(t.sha256(arg[i]), sum, arg[i] .. ": unchanged")
end
t.done()
