"""Reports: a result folder as one self-contained HTML page with maps and charts.

``page`` reads a folder of any command (solve, extra-budget, pareto, compare, programme, monitor) and
assembles its sections; ``charts`` builds the Vega-Lite specs (maps, facility decisions, front, money
flows); ``programme`` the sections of a multi-year programme.  Imports results, the instance and the
scenario; imported by the API, the command line and the web app.
"""
