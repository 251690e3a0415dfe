-- placeholder, replaced below
local hs = {}
function hs._init(list) end
return hs
