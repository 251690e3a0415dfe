-- Tries every way out of the sandbox; one finding per attempt: "refused" if
-- it was stopped, "ALLOWED" (severity error) if it was not.
local attempts = {
  { "os.execute", function() return os.execute("true") end },
  { "io.open", function() return io.open("/etc/passwd") end },
  { "io.popen", function() return io.popen("true") end },
  { "require os", function() return require "os" end },
  { "require io", function() return require "io" end },
  { "require ffi", function() return require "ffi" end },
  { "require a file", function() return require "lib.../../../etc/passwd" end },
  { "loadstring", function() return loadstring("return os")() end },
  { "load", function() return load(function() return nil end) end },
  { "loadfile", function() return loadfile("/etc/passwd") end },
  { "dofile", function() return dofile("/etc/passwd") end },
  { "string.dump", function() return string.dump(function() end) end },
  { "(''):dump", function() return (""):dump() end },
  { "method dump", function() local s = "x" return s.dump(print) end },
  { "getmetatable string", function() return getmetatable("").__index.dump(function() end) end },
  { "getfenv", function() return getfenv(0).os end },
  { "setfenv", function() return setfenv(1, {}) end },
  { "debug", function() return debug.getregistry() end },
  { "package", function() return package.loaded.os end },
  { "jit", function() return jit.off() end },
  { "collectgarbage", function() return collectgarbage("count") end },
  { "_G os", function() return _G.os.execute end },
  { "hs._init", function() return hs._init({}) end },
  { "hs.check", function() return hs.check(nil) end },
  { "hs write", function() hs.format = nil return true end },
  { "newproxy", function() return newproxy(true) end },
  { "coroutine", function() return coroutine.create(print) end },
  { "print", function() return print("escaped") end },
  { "io.open for writing", function() return io.open("sandbox-escaped", "w") end },
  { "io.output", function() return io.output("sandbox-escaped") end },
  { "os.remove", function() return os.remove("sandbox-escaped") end },
  { "os.rename", function() return os.rename("sandbox-escaped", "x") end },
  { "os.tmpname", function() return os.tmpname() end },
  { "hs.load", function() return hs.load("/etc/hostname") end },
  { "hs.open", function() return hs.open({ "/etc/hostname" }) end },
  { "hs.open_options", function() return hs.open_options end },
}
return {
  id = "sandbox",
  summary = "test: probes the sandbox",
  run = function(case, emit)
    for _, a in ipairs(attempts) do
      local ok, res = pcall(a[2])
      local allowed = ok and res ~= nil and res ~= false
      emit{ severity = allowed and "error" or "info", title = a[1],
            message = allowed and "ALLOWED" or "refused" }
    end
  end,
}
