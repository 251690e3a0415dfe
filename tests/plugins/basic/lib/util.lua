-- A plugin library: reached as require "lib.util".
local M = {}
function M.plural(n, word) return ("%d %s"):format(n, word) end
return M
