-- script.lua - Lua 5.4 at work, for tests/e2e/test_apps.py: tables,
-- closures, string patterns, integer and float arithmetic, coroutines,
-- files. Prints only what is the same wherever it runs.
local function fib(n)
  local a, b = 0, 1
  for _ = 1, n do a, b = b, a + b end
  return a
end
print("fib(80)", fib(80))

local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do
  words[#words + 1] = w
end
table.sort(words)
print("sorted", table.concat(words, ","))

local counts = {}
for _, w in ipairs(words) do counts[w] = (counts[w] or 0) + 1 end
print("the x" .. counts["the"])

local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c = counter()
c(); c()
print("closure", c())

local co = coroutine.wrap(function()
  for i = 1, 3 do coroutine.yield(i * i) end
end)
print("coroutine", co(), co(), co())

print(string.format("float %.6f int %d idiv %d", math.pi, 7 // 2, -7 // 2))
print("maxinteger", math.maxinteger, math.mininteger)

local dir = arg[1] or "."
local name = dir .. "/lua.txt"
local f = assert(io.open(name, "w"))
for i = 1, 1000 do f:write(i, "\n") end
f:close()
local sum = 0
for line in io.lines(name) do sum = sum + tonumber(line) end
print("file sum", sum)
os.remove(name)
print("removed", io.open(name) == nil)
os.exit(3)
