from functools import reduce
print(reduce(lambda a, b: a + b, filter(lambda x: x % 2 == 0, map(lambda x: x * 3, range(1000000))), 0))
