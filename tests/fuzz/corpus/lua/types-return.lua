return {1, 2.9, -3.7, "s", true, false, nil, {1, {2, {3, {4}}}}, {ok = "OK"}, 1e20, -0.0}
