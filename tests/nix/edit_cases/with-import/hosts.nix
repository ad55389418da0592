{ builder = "age1hx583tc37u359398ntryrkl5e0h5ymkuzns00dcwfffpugsddsfq60kta3"; }
