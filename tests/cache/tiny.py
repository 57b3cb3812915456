"""The tiny C library every cache test builds."""
ADD_SOURCE = "int add(int a, int b) { return a + b; }\n"
FLAGS = ["-O2", "-shared", "-fPIC"]
