-- e2.render -- draw the tables of fs:blockmap{} (doc/lua-api.md): a grid
-- of glyphs for the terminal (plain or coloured) and a standalone SVG.
-- The "map" command (scripts/commands/map.lua) is built on it; a script
-- can draw the same pictures, or its own from the same tables:
--
--   local render = require "e2.render"
--   local bm = fs:blockmap { files = { "/var/log/syslog" }, cells = 1024 }
--   io.write(render.text(bm, { cols = 64 }))
--   local f = assert(io.open("syslog.svg", "w"))
--   f:write(render.svg(bm, { title = "/var/log/syslog" }))
--   f:close()

local M = {}

-- How each kind is drawn: a glyph, an ANSI SGR colour for terminals and
-- an SVG fill.
M.STYLE = {
	new = { glyph = "+", sgr = "45;97", fill = "#b03cc8" },
	freed = { glyph = "-", sgr = "43;30", fill = "#f2c12e" },
	ind = { glyph = "I", sgr = "41;97", fill = "#d43a2f" },
	data = { glyph = "D", sgr = "42;30", fill = "#3c9d4e" },
	meta = { glyph = "#", sgr = "44;97", fill = "#3d64b0" },
	other = { glyph = "o", sgr = "47;30", fill = "#a9a9a9" },
	free = { glyph = ".", sgr = "2", fill = "#eeeeee" },
}

-- How many cells a row and blocks a cell, to show count blocks in a
-- window: at most cols cells a row and rows rows.  A cell is a power of
-- two blocks (block groups are too, so their bounds fall between cells).
function M.fit(count, cols, rows)
	assert(count >= 1 and cols >= 1 and rows >= 1, "fit: counts must be positive")
	local per = 1
	while per * cols * rows < count do per = per * 2 end
	return per
end

local function plural(n, one, many)
	return string.format("%d %s", n, n == 1 and one or (many or one .. "s"))
end

-- "1 cell = 8 blocks of 1024 bytes"
function M.scale(bm)
	return string.format("1 cell = %s of %d bytes", plural(bm.per_cell, "block"), bm.block_size)
end

-- The sentence that says how a cell's kind is decided, from the legend's
-- order: the kinds shown when any block of them is there, then free
-- against used, then the more numerous used kind.
function M.rule(bm, glyphs)
	local function name(k) return glyphs and M.STYLE[k].glyph or k end
	local any = {}
	for _, l in ipairs(bm.legend) do
		if l.kind ~= "meta" and l.kind ~= "other" and l.kind ~= "free" then any[#any + 1] = name(l.kind) end
	end
	return string.format("A cell shows the first of %s it holds any block of; else %s if more than half "
		.. "its blocks are free; else the more numerous of %s and %s (%s on a tie).", table.concat(any, " "),
		name("free"), name("meta"), name("other"), name("meta"))
end

local function colored(kind, s, color)
	if not color then return s end
	return "\27[" .. M.STYLE[kind].sgr .. "m" .. s .. "\27[0m"
end

-- The glyphs of cells first..last, one SGR sequence per run of a kind.
local function row_glyphs(cells, first, last, color)
	local out, i = {}, first
	while i <= last do
		local k, j = cells[i].kind, i
		while j < last and cells[j + 1].kind == k do j = j + 1 end
		out[#out + 1] = colored(k, string.rep(M.STYLE[k].glyph, j - i + 1), color)
		i = j + 1
	end
	return table.concat(out)
end

-- The label width of a map's rows: "start-end" with both as wide as
-- the largest block number.
local function label_width(bm)
	return #tostring(bm.start + bm.count - 1)
end

local function row_label(bm, cells, first, last, w)
	local a, z = cells[first], cells[last]
	return string.format("%" .. w .. "d-%-" .. w .. "d", a.start, z.start + z.count - 1)
end

-- "N blocks", or "N blocks before, M after" for a pair of maps.
local function amount(kind, bm, before)
	local n = bm.totals[kind] or 0
	local b = before and before.totals[kind] or n
	if b == n then return plural(n, "block") end
	return string.format("%s before, %d after", plural(b, "block"), n)
end

-- The legend lines: glyph, meaning, blocks (opts.before: the map before
-- a commit, whose counts are given too where they differ).
function M.legend(bm, opts)
	opts = opts or {}
	local lines = {}
	for _, l in ipairs(bm.legend) do
		lines[#lines + 1] = string.format("  %s  %s: %s", colored(l.kind, M.STYLE[l.kind].glyph, opts.color),
			l.label, amount(l.kind, bm, opts.before))
	end
	return lines
end

-- Lines of the grid of one or more maps of the same geometry, side by
-- side (gap columns apart), each row labelled with its block range.
local function grid_lines(maps, cols, color, gap)
	local first = maps[1]
	local w = label_width(first)
	local lines = {}
	for r = 1, #first.cells, cols do
		local last = math.min(r + cols - 1, #first.cells)
		local parts = { row_label(first, first.cells, r, last, w) }
		for m, bm in ipairs(maps) do
			local g = row_glyphs(bm.cells, r, last, color)
			if m < #maps then g = g .. string.rep(" ", cols - (last - r + 1)) end
			parts[#parts + 1] = g
		end
		lines[#lines + 1] = table.concat(parts, string.rep(" ", gap))
	end
	return lines, w
end

local function header(bm, title)
	local h = string.format("Blocks %d-%d, %s", bm.start, bm.start + bm.count - 1, M.scale(bm))
	return title and title .. ": " .. h or h
end

-- The terminal picture of a map as a string (lines ending in "\n"):
-- header with the block range and the scale, the grid, the legend with
-- the blocks of each kind, and the rule.  opts: cols (cells a row,
-- default 64), color (ANSI colours), title.
function M.text(bm, opts)
	opts = opts or {}
	local cols = opts.cols or 64
	local lines = { header(bm, opts.title) }
	local grid = grid_lines({ bm }, cols, opts.color, 1)
	table.move(grid, 1, #grid, #lines + 1, lines)
	for _, l in ipairs(M.legend(bm, opts)) do lines[#lines + 1] = l end
	lines[#lines + 1] = M.rule(bm, true)
	return table.concat(lines, "\n") .. "\n"
end

-- Two maps of the same blocks (before and after a commit) as one
-- picture: side by side when opts.width (default 80) holds both grids of
-- opts.cols cells, else one above the other.  opts: cols, width, color,
-- title (before the header), titles = {"before", "after"}.
function M.text_pair(before, after, opts)
	opts = opts or {}
	local cols = opts.cols or 32
	local titles = opts.titles or { "Before", "After" }
	assert(before.start == after.start and before.count == after.count and
		before.per_cell == after.per_cell, "text_pair: the maps differ in geometry")
	local w = 2 * label_width(before) + 1
	local lines = { header(before, opts.title) }
	if w + 3 + cols + 3 + cols <= (opts.width or 80) then
		lines[#lines + 1] = string.rep(" ", w + 3) .. string.format("%-" .. cols + 3 .. "s%s", titles[1], titles[2])
		local grid = grid_lines({ before, after }, cols, opts.color, 3)
		table.move(grid, 1, #grid, #lines + 1, lines)
	else
		for i, bm in ipairs({ before, after }) do
			lines[#lines + 1] = titles[i] .. ":"
			local grid = grid_lines({ bm }, cols, opts.color, 1)
			table.move(grid, 1, #grid, #lines + 1, lines)
		end
	end
	for _, l in ipairs(M.legend(after, { color = opts.color, before = before })) do lines[#lines + 1] = l end
	lines[#lines + 1] = M.rule(after, true)
	return table.concat(lines, "\n") .. "\n"
end

-- ------------------------------------------------------------------
-- SVG

-- Text for XML: the five special characters as entities, and what XML
-- 1.0 cannot carry (control characters, bytes that are not UTF-8: file
-- names may hold any byte) as visible \xNN.
function M.escape(s)
	s = tostring(s)
	local out, i, n = {}, 1, #s
	while i <= n do
		local b = s:byte(i)
		local len = b < 0x80 and 1 or b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC2 and 2 or 0
		local seq = len > 0 and s:sub(i, i + len - 1) or nil
		local ok = seq and #seq == len and utf8.len(seq) == 1
		local cp = ok and utf8.codepoint(seq)
		if ok and (cp < 0x20 and cp ~= 9 and cp ~= 10 and cp ~= 13 or cp == 0x7F or
			cp >= 0xD800 and cp <= 0xDFFF or cp == 0xFFFE or cp == 0xFFFF or cp > 0x10FFFF) then
			ok = false
		end
		if not ok then
			out[#out + 1] = string.format("\\x%02X", b)
			i = i + 1
		else
			out[#out + 1] = seq == "&" and "&amp;" or seq == "<" and "&lt;" or seq == ">" and "&gt;"
				or seq == '"' and "&quot;" or seq == "'" and "&apos;" or seq
			i = i + len
		end
	end
	return table.concat(out)
end

local KINDS = { "new", "freed", "ind", "data", "meta", "other", "free" }

-- A cell's hover text: its blocks, their kinds, and the files there.
local function cell_title(c)
	local kinds = {}
	for _, k in ipairs(KINDS) do
		if (c[k] or 0) > 0 then kinds[#kinds + 1] = k .. " " .. c[k] end
	end
	local t = string.format("blocks %d-%d: %s", c.start, c.start + c.count - 1, table.concat(kinds, ", "))
	if c.files > 0 then
		t = t .. "\n" .. table.concat(c.names, "\n")
		if c.files > #c.names then t = t .. string.format("\n(and %d more)", c.files - #c.names) end
	end
	return t
end

-- px: cell, cell pitch, text line, a character of the 9px row labels
local CELL, PITCH, LINE, LABEL_CHAR = 9, 10, 16, 5.5

-- A standalone SVG document (a string) of one map, or of several of the
-- same geometry side by side: maps is a table from fs:blockmap, or an
-- array of { map = t, title = "..." }.  opts: cols (default 64), title.
-- Every cell is a <rect class="cell KIND"> with a <title> (its blocks,
-- kinds and files: a browser shows it on hover); below the grids, the
-- scale, the legend and the rule.
function M.svg(maps, opts)
	opts = opts or {}
	if maps.cells then maps = { { map = maps } } end
	local first = maps[1].map
	local cols = opts.cols or 64
	local rows = (#first.cells + cols - 1) // cols
	local labw = 10 + math.ceil((2 * label_width(first) + 2) * LABEL_CHAR)
	local panelw = cols * PITCH + 20
	local top = 2 * LINE + (maps[1].title and LINE or 0)
	local last = maps[#maps].map
	local legend = last.legend
	local before = #maps > 1 and maps[1].map or nil
	local width = math.max(labw + #maps * panelw + 10, 640)
	local height = top + rows * PITCH + (#legend + 3) * LINE + 10
	local o = {}
	local function add(fmt, ...) o[#o + 1] = string.format(fmt, ...) end
	add('<?xml version="1.0" encoding="UTF-8"?>\n')
	add('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
		.. 'font-family="monospace" font-size="12">\n', width, height, width, height)
	add('<title>%s</title>\n', M.escape(opts.title or header(first)))
	add('<rect width="100%%" height="100%%" fill="#ffffff"/>\n')
	add('<text x="10" y="%d" font-weight="bold">%s</text>\n', LINE, M.escape(opts.title or "Block map"))
	add('<text x="10" y="%d">%s</text>\n', 2 * LINE, M.escape(header(first)))
	for r = 1, rows do
		local c1 = (r - 1) * cols + 1
		local last = math.min(c1 + cols - 1, #first.cells)
		add('<text x="10" y="%d" font-size="9">%s</text>\n', top + (r - 1) * PITCH + CELL - 1,
			M.escape(row_label(first, first.cells, c1, last, label_width(first))))
	end
	for m, p in ipairs(maps) do
		local x0 = labw + (m - 1) * panelw
		if p.title then
			add('<text x="%d" y="%d" font-weight="bold">%s</text>\n', x0, top - 4, M.escape(p.title))
		end
		add('<g class="panel">\n')
		for i, c in ipairs(p.map.cells) do
			local x = x0 + ((i - 1) % cols) * PITCH
			local y = top + ((i - 1) // cols) * PITCH
			add('<rect class="cell %s" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>\n',
				c.kind, x, y, CELL, CELL, M.STYLE[c.kind].fill, M.escape(cell_title(c)))
		end
		add('</g>\n')
	end
	local y = top + rows * PITCH + LINE
	add('<text x="10" y="%d">%s</text>\n', y, M.escape(M.scale(first)))
	for i, l in ipairs(legend) do
		local ly = y + i * LINE
		add('<rect class="legend %s" x="10" y="%d" width="%d" height="%d" fill="%s"/>\n', l.kind,
			ly - CELL, CELL, CELL, M.STYLE[l.kind].fill)
		add('<text x="%d" y="%d">%s: %s</text>\n', 10 + 2 * PITCH, ly, M.escape(l.label),
			M.escape(amount(l.kind, last, before)))
	end
	add('<text x="10" y="%d">%s</text>\n', y + (#legend + 1) * LINE, M.escape(M.rule(last)))
	add('</svg>\n')
	return table.concat(o)
end

return M
