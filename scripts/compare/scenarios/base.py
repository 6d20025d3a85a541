"""What every scenario provides to the runner and to the report."""

from collections import namedtuple

# One gnuplot data file: a whitespace-separated table, None written as "?". With
# header_is_data=False the header is a comment (for charts without columnheader).
DataFile = namedtuple("DataFile", "name header rows header_is_data", defaults=(True,))


def text_cell(text):
    """A string in a data file (a tic label, a bar's label): in double quotes, which it
    must not contain itself."""
    return '"' + str(text).replace('"', "'") + '"'


# One chart, drawn into compare-NAME.svg by templates/TEMPLATE from the data files
# (data1, data2... in the template); titles, if any, are its heading and then one per
# data file (heading, title1, title2... in the template).
Chart = namedtuple("Chart", "name template data titles", defaults=((),))


class Scenario:
    """One experiment of the comparison. A subclass sets the attributes and
    implements the methods below that raise NotImplementedError.

    name    its --only name, and its key in the report and in compare.json
    stages  the stages it measures: its cells in the summary table ("—" elsewhere)
    blurb   one line for the progress output: what it does, to which stages
    column  its summary-table header (override column_title if the settings change it)
    full, quick  its own settings for a full and a --quick run (res.cfg has them,
            and the shared ones of settings.SHARED)
    """

    name = ""
    stages = ()
    blurb = ""
    column = ""
    full = {}
    quick = {}

    def column_title(self, cfg):
        return self.column

    def run(self, res):
        """Measure through res (measuring.Results); return the result, a dict that
        compare.json stores. Raise ScenarioError (or OSError) when it cannot."""
        raise NotImplementedError

    def verdict(self, result):
        """One sentence computed from the result: what it shows, targets met or not."""
        raise NotImplementedError

    def cell(self, result, stage):
        """The summary-table cell of one of self.stages."""
        raise NotImplementedError

    def details(self, result):
        """The markdown detail section (a ### heading, a table, notes)."""
        raise NotImplementedError

    def charts(self, result):
        """The charts drawn from the result: a list of Chart."""
        return []
