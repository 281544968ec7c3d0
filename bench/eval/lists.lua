local function map(f, t) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
local function filter(p, t) local r = {} for i = 1, #t do if p(t[i]) then r[#r + 1] = t[i] end end return r end
local function reduce(f, acc, t) for i = 1, #t do acc = f(acc, t[i]) end return acc end
local xs = {} for i = 0, 999999 do xs[#xs + 1] = i end
print(reduce(function(a, b) return a + b end, 0,
  filter(function(x) return x % 2 == 0 end, map(function(x) return x * 3 end, xs))))
