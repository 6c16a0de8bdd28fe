import sys
def test_x():
    print([p for p in sys.path if 'work' in p])
    import tests.fakes
    print(tests.fakes)
