def make_adder(k):
    return lambda x: x + k
def run(n, acc):
    while n > 0:
        acc = make_adder(n)(acc)
        n -= 1
    return acc
print(run(1000000, 0))
