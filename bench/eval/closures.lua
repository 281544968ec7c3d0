local function make_adder(k) return function(x) return x + k end end
local function run(n, acc)
  while n > 0 do acc = make_adder(n)(acc); n = n - 1 end
  return acc
end
print(run(1000000, 0))
