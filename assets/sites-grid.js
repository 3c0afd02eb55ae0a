/* AG Grid cell renderers of the site pages (registered by name for dash-ag-grid).
   SiteLink: the site's name as a link to its detail page /sites/<id>; the cell value stays the
   plain name, so sorting, the quick search and exports see the name, not markup. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.SiteLink = function (props) {
  var id = props.data && (props.data.site_id !== undefined ? props.data.site_id : props.data.id);
  if (id === undefined || id === null) {
    return props.value;
  }
  return React.createElement("a", { href: "/sites/" + id, className: "site-link" }, props.value);
};

/* InspectLink: "巡查" opening the inspection form with the row's site chosen; rows the user may
   not inspect (another township's) carry no href and show nothing. */
dagcomponentfuncs.InspectLink = function (props) {
  if (!props.data || !props.data.inspect_href) {
    return null;
  }
  return React.createElement("a", { href: props.data.inspect_href, className: "site-inspect-link" }, props.value);
};
