-- Reading the files tests compare against (samples, their truth files):
-- the helpers every Lua test used to copy.
--
--   files.read(path)        -> contents, or nil when it does not exist
--   files.exists(path)      -> whether it can be opened
--   files.lines(text)       -> list of lines (no trailing empty line)
--   files.read_lines(path)  -> lines of path (a .gz is read through gzip -dc;
--                              path without .gz falls back to path.gz), or nil
--   files.ls(dir)           -> names in dir, sorted (empty when none)
local M = {}

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

function M.lines(text)
  local out = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = l end
  if out[#out] == "" then out[#out] = nil end
  return out
end

function M.read_lines(path)
  local f
  if path:match("%.gz$") then
    if not M.exists(path) then return nil end
    f = io.popen("gzip -dc '" .. path .. "'")
  else
    f = io.open(path, "rb")
    if not f and M.exists(path .. ".gz") then f = io.popen("gzip -dc '" .. path .. ".gz'") end
  end
  if not f then return nil end
  local out = {}
  for l in f:lines() do out[#out + 1] = l end
  f:close()
  return out
end

function M.ls(dir)
  local out = {}
  local f = io.popen("ls '" .. dir .. "' 2>/dev/null")
  for l in f:lines() do out[#out + 1] = l end
  f:close()
  table.sort(out)
  return out
end

return M
